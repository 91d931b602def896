// Entry point of the Pulumi program (Pulumi.yaml `main`). Everything lives in program.ts.
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "../components/common/validation";
import { runStack } from "./program";

// A configuration error is the user's to fix: report its message (which names the key and the value) without
// the stack trace of an unhandled exception.
export = runStack().catch((err: unknown) => {
    if (err instanceof InvalidArgsError) throw new pulumi.RunError(err.message);
    throw err;
});
