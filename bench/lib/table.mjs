// Plain-text tables for the terminal: one per scenario, median [min - max] per metric, and the
// ratio against nursery's median where the metric is marked `ratio`.

/** Formats a number with about three significant digits and thousands separators. */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(summary, metric) {
  if (!summary || summary.n === 0) return "-";
  if (metric.boolean) return summary.min === 1 ? "yes" : summary.max === 0 ? "NO" : "mixed";
  if (summary.n === 1 || summary.min === summary.max) return formatNumber(summary.median);
  return `${formatNumber(summary.median)} [${formatNumber(summary.min)} - ${formatNumber(summary.max)}]`;
}

function pad(text, width) {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/**
 * Renders one scenario. `rows` are `{ row, impl, metrics: { key: summary }, error? }`; `base` is the
 * row whose medians the ratios divide by.
 */
export function renderScenario(scenario, title, rows, base, note) {
  const header = ["impl"];
  for (const metric of scenario.metrics) {
    header.push(metric.unit ? `${metric.label} (${metric.unit})` : metric.label);
    if (metric.ratio) header.push("x nursery");
  }
  const body = rows.map((row) => {
    if (row.error && !row.metrics) return [row.row, `FAILED: ${row.error.split("\n")[0]}`];
    const line = [row.row];
    for (const metric of scenario.metrics) {
      const summary = row.metrics[metric.key];
      line.push(cell(summary, metric));
      if (metric.ratio) {
        const denominator = base?.metrics?.[metric.key]?.median;
        line.push(
          summary && Number.isFinite(summary.median) && Number.isFinite(denominator) && denominator !== 0
            ? (summary.median / denominator).toFixed(2)
            : "-",
        );
      }
    }
    if (row.error) line.push(`(some runs failed: ${row.error.split("\n")[0]})`);
    return line;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => (line[i] ?? "").length)));
  const lines = [`${scenario.id}. ${title}`];
  if (note) lines.push(`   ${note}`);
  lines.push(`   ${header.map((h, i) => pad(h, widths[i])).join("  ")}`.trimEnd());
  for (const line of body) {
    const last = line.length - 1;
    lines.push(`   ${line.map((c, i) => (i === last ? c : pad(c, widths[i] ?? 0))).join("  ")}`.trimEnd());
  }
  return lines.join("\n");
}
