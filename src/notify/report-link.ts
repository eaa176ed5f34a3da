import type { Project } from "../definitions/project.js";
import { openHistory } from "../history/open.js";
import type { Logger } from "../log.js";
import type { RunRecord } from "../types.js";
import { errorText } from "../redact.js";

/**
 * The run's HTML report where the history store can serve it (S3), for channel messages, with
 * the trends of the drill's earlier runs.
 */
export async function publishReport(
  project: Project,
  record: RunRecord,
  history: RunRecord[],
  log: Logger,
): Promise<string | undefined> {
  const store = openHistory(project);
  if (!store.publishReport) return undefined;
  try {
    const { renderHtmlReport } = await import("../report/html.js");
    const html = renderHtmlReport(record, history);
    return await store.publishReport(record, html);
  } catch (e) {
    // The message still goes out, without its link.
    log.warn({ error: errorText(e) }, "cannot publish the report");
    return undefined;
  }
}
