// For lint/tsconfig.ui.json: the server modules whose types the web UI's script imports reach
// engine/record/fields.ts, which names Node's Buffer in a type the UI never reads. A type only,
// so browser code that used Buffer as a value would still fail the check.
type Buffer = Uint8Array;
