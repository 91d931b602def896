// Entry point of the Pulumi program (Pulumi.yaml `main`). Everything lives in program.ts.
import { runStack } from "./program";

export = runStack();
