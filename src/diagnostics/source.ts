/** A policy source text with its display path, and offset -> line/column mapping. */
export class SourceFile {
  private lineStarts: number[] | undefined;

  /**
   * @param path the path as the user gave it (never made absolute): it is
   *   printed in diagnostics and in the headers of generated files.
   * @param text the decoded text.
   */
  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  /** 1-based line and column (UTF-16 units, like editors' LSP columns) of an offset. */
  position(offset: number): { line: number; column: number } {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  /** The text of a 1-based line, without its line end. */
  lineText(line: number): string {
    const starts = this.starts();
    const start = starts[line - 1] ?? this.text.length;
    const next = starts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }

  /** Line starts are computed on first use: most compilations report nothing. */
  private starts(): number[] {
    if (this.lineStarts) return this.lineStarts;
    const starts = [0];
    const text = this.text;
    let i = text.indexOf("\n");
    while (i !== -1) {
      starts.push(i + 1);
      i = text.indexOf("\n", i + 1);
    }
    this.lineStarts = starts;
    return starts;
  }
}
