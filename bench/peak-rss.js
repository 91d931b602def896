// Preloaded into every Node process of a benchmarked `pulumi` command (NODE_OPTIONS="--require bench/peak-rss.js"):
// at exit, writes the process's peak resident set size (process.resourceUsage().maxRSS, in KiB, the kernel's
// high-water mark) and CPU time to $GRAY_RELEASE_PEAK_RSS_DIR/<pid>.json. bench/update-time.ts reads them.
"use strict";
const dir = process.env.GRAY_RELEASE_PEAK_RSS_DIR;
if (dir) {
    process.on("exit", () => {
        const usage = process.resourceUsage();
        const record = { argv: process.argv.slice(1), maxRssKiB: usage.maxRSS, cpuMicros: usage.userCPUTime + usage.systemCPUTime };
        try {
            require("node:fs").writeFileSync(require("node:path").join(dir, `${process.pid}.json`), JSON.stringify(record));
        } catch {
            // a measurement lost, never the command's exit
        }
    });
}
