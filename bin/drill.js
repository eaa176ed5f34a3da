#!/usr/bin/env node
import { exitWhenFlushed, main } from "../dist/drill.js";

main(process.argv.slice(2)).then((code) => exitWhenFlushed(code));
