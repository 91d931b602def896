/** Promotion ledger (JSON Lines or JSON array of PromotionLedgerEntry) parsing and lookup. */
import * as fs from "fs";
import * as path from "path";
import type { PromotionLedgerEntry } from "../contracts";

export function parseLedger(text: string): { entries: PromotionLedgerEntry[]; errors: string[] } {
    const errors: string[] = [];
    const entries: PromotionLedgerEntry[] = [];
    const accept = (v: unknown, where: string) => {
        const e = v as Partial<PromotionLedgerEntry> | null;
        if (e && typeof e === "object" && typeof e.environment === "string" && typeof e.service === "string" &&
            typeof e.version === "string" && typeof e.status === "string") {
            entries.push({ environment: e.environment, service: e.service, version: e.version, status: e.status, at: String(e.at ?? "") });
        } else {
            errors.push(`${where}: entry needs string fields environment, service, version, status`);
        }
    };
    const trimmed = text.trim();
    if (trimmed.startsWith("[")) {
        try {
            const arr = JSON.parse(trimmed) as unknown[];
            arr.forEach((v, i) => accept(v, `entry ${i}`));
        } catch (e) {
            errors.push(`not valid JSON: ${(e as Error).message}`);
        }
        return { entries, errors };
    }
    text.split(/\r?\n/).forEach((line, i) => {
        if (line.trim() === "") return;
        try {
            accept(JSON.parse(line), `line ${i + 1}`);
        } catch (e) {
            errors.push(`line ${i + 1}: not valid JSON (${(e as Error).message})`);
        }
    });
    return { entries, errors };
}

export function wasPromoted(entries: readonly PromotionLedgerEntry[], environment: string, service: string, version: string): PromotionLedgerEntry | undefined {
    return entries.find((e) =>
        e.environment.toLowerCase() === environment.toLowerCase() && e.service === service && e.version === version &&
        e.status.toLowerCase() === "promoted");
}

/** Reads the ledger; relative paths resolve against the working directory of the policy pack process. */
export function readLedger(file: string): { entries: PromotionLedgerEntry[]; errors: string[]; resolved: string } | { missing: string } {
    const resolved = path.resolve(file);
    if (!fs.existsSync(resolved)) return { missing: resolved };
    return { ...parseLedger(fs.readFileSync(resolved, "utf8")), resolved };
}
