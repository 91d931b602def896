// Entry point of the Pulumi program (loaded by stacks/entry.js, Pulumi.yaml `main`). Everything lives in program.ts;
// runStack reports its errors itself (stacks/program-error.ts), as it does for a user's own `export = runStack();`.

import { runStack } from "./program";

export = runStack();
