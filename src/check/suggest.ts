/** The did-you-mean helpers live with the diagnostics, so that every phase (the parser too) can use them. */
export * from "../diagnostics/suggest.js";
