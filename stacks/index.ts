// Entry point of the Pulumi program (loaded by stacks/entry.js, Pulumi.yaml `main`). Everything lives in program.ts.

import { runStack } from "./program";
import { reportableError } from "./program-error";

export = runStack().catch((err: unknown) => {
    throw reportableError(err);
});
