import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "../components/common/validation";

/**
 * The error the program leaves with (`runStack`, so this repository's stacks/index.ts and a user's own program
 * alike), in a form Pulumi's run command reports cheaply.
 *
 * A configuration error is the user's to fix: its message (which names the key and the value), without the stack
 * trace of an unhandled exception. Any other error keeps its stack, as text of the message.
 *
 * Neither carries stack frames of its own: Pulumi's run command passes every error leaving the program to
 * `util.inspect(err, { colors: true })` (for its tracing span, even when it prints only the message), and in Node
 * 20.20 that loops on a frame naming a file directly under a scoped package's folder (nodejs/node#64011, fixed in
 * later lines by nodejs/node#64022), growing one string to V8's limit before it throws and Pulumi falls back: about
 * 3 GB resident and from half a minute to minutes of CPU. @pulumi/pulumi's own source maps produce such frames
 * (`node_modules/@pulumi/resource.ts`), and every error leaving the program has one among its async frames. A stack
 * without frames is printed as it is. bench/update-time.ts measures the preview that rejects a bad key.
 */
export function reportableError(err: unknown): pulumi.RunError {
    const runError = new pulumi.RunError(messageOf(err));
    runError.stack = `Error: ${runError.message}`;
    return runError;
}

function messageOf(err: unknown): string {
    if (err instanceof InvalidArgsError || pulumi.RunError.isInstance(err)) return err.message;
    if (err instanceof Error) return err.stack ?? err.message;
    return String(err);
}
