/** A free TCP port on 127.0.0.1 for a test server (released before it is returned; good enough for tests). */
import { createServer } from "node:net";

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            if (addr === null || typeof addr === "string") return reject(new Error("no port"));
            srv.close(() => resolve(addr.port));
        });
    });
}
