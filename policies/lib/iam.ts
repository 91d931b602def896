/** Pure IAM policy-document checks: wildcard actions and resources in Allow statements. */

export interface IamFinding {
    field: string;
    problem: string;
    fix: string;
}

export interface IamOptions {
    /** Allow partial action wildcards such as "s3:Get*" (full "*" and "svc:*" are never allowed). */
    allowPartialActionWildcards: boolean;
}

function asList(v: unknown): unknown[] {
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/** True for a resource ARN whose wildcard spans the whole resource (e.g. "*", "arn:aws:s3:::*", "arn:aws:iam::123:role/*"). */
export function isWildcardResource(r: string): boolean {
    if (r === "*") return true;
    if (!r.startsWith("arn:")) return r.includes("*");
    const parts = r.split(":");
    // arn:partition:service:region:account:resource
    if (parts.length < 6) return true;
    if (parts.slice(1, 3).some((p) => p.includes("*"))) return true;
    if (parts[4] === "*") return true;
    const resource = parts.slice(5).join(":");
    if (resource === "*" || resource === "") return true;
    // "type/*" (all of a type) is a wildcard resource; "bucket/*" for S3 objects of one bucket is scoped.
    if (parts[2] === "s3") return /^\*|^[^/]*\*[^/]*$/.test(resource);
    return /^[^/]*\/\*$/.test(resource) || /^\*/.test(resource);
}

export function parsePolicyDocument(doc: unknown): { ok: true; doc: Record<string, any> } | { ok: false; error: string } {
    if (typeof doc === "string") {
        try {
            return { ok: true, doc: JSON.parse(doc) };
        } catch (e) {
            return { ok: false, error: `policy is not valid JSON: ${(e as Error).message}` };
        }
    }
    if (doc && typeof doc === "object") return { ok: true, doc: doc as Record<string, any> };
    return { ok: false, error: "policy document is missing" };
}

export function iamWildcardFindings(doc: Record<string, any>, opts: IamOptions): IamFinding[] {
    const out: IamFinding[] = [];
    asList(doc["Statement"]).forEach((s: any, i: number) => {
        if (!s || String(s["Effect"] ?? "Allow") !== "Allow") return;
        const sid = s["Sid"] ? ` (Sid ${s["Sid"]})` : "";
        if (s["NotAction"] !== undefined) {
            out.push({
                field: `policy.Statement[${i}].NotAction`,
                problem: `Allow with NotAction${sid} grants every other action`,
                fix: "list the allowed actions explicitly in Action",
            });
        }
        if (s["NotResource"] !== undefined) {
            out.push({
                field: `policy.Statement[${i}].NotResource`,
                problem: `Allow with NotResource${sid} grants every other resource`,
                fix: "list the allowed resource ARNs explicitly in Resource",
            });
        }
        for (const a of asList(s["Action"]).map(String)) {
            const full = a === "*" || /^[^:]+:\*$/.test(a);
            if (full || (!opts.allowPartialActionWildcards && a.includes("*"))) {
                out.push({
                    field: `policy.Statement[${i}].Action`,
                    problem: `wildcard action '${a}'${sid}`,
                    fix: "list the exact actions needed (e.g. s3:GetObject, s3:PutObject)",
                });
            }
        }
        for (const r of asList(s["Resource"]).map(String)) {
            if (isWildcardResource(r)) {
                out.push({
                    field: `policy.Statement[${i}].Resource`,
                    problem: `wildcard resource '${r}'${sid}`,
                    fix: "scope Resource to specific ARNs (e.g. arn:aws:s3:::<bucket> and arn:aws:s3:::<bucket>/*)",
                });
            }
        }
    });
    return out;
}
