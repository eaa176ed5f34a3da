import { afterAll } from "vitest";
import { removeTempDirs } from "./temp.js";

// Registered first, so it runs after each file's own afterAll hooks (they stop the servers
// that live in these folders, and check nothing is left running).
afterAll(removeTempDirs);
