/**
 * The seam between analysis and a metrics backend. Implementations never throw: a backend failure is a
 * value, so the analysis can turn it into an `error` verdict instead of failing the whole `pulumi up`.
 */

/** One series of an instant-query result. */
export interface InstantSample {
    /** The series' labels. */
    readonly labels: Readonly<Record<string, string>>;
    /** The sample value; NaN and ±Infinity are passed through for the caller to judge. */
    readonly value: number;
    /**
     * The sample's timestamp (ms since the epoch) as the source stamped it; an instant query's samples carry the
     * evaluation time, so an older stamp means a frozen or lagging answer. Absent when the provider has none.
     */
    readonly timestamp?: number;
}

/** Result of an instant query: the samples, or why there are none. */
export type QueryOutcome =
    | {
          /** The query succeeded. */
          readonly ok: true;
          /** Result series. */
          readonly samples: ReadonlyArray<InstantSample>;
          /**
           * Warnings the source attached to a successful answer (the API's `warnings`): Thanos Query reports a
           * partial response (a store that failed or timed out) this way, Prometheus remote-read failures and
           * PromQL annotations too. Absent or empty when there were none.
           */
          readonly warnings?: ReadonlyArray<string>;
      }
    | {
          /** The query failed. */
          readonly ok: false;
          /** What went wrong, for the verdict's reason. */
          readonly error: string;
          /**
           * Set when the source refused the query itself (Prometheus' `bad_data`: a parse or type error), as opposed to
           * being down, slow or failing: asking again with another query can succeed.
           */
          readonly queryRefused?: boolean;
      };

/** Something that evaluates PromQL instant queries (Prometheus, Thanos Query, a fake). */
export interface MetricsProvider {
    /** Evaluates `promql` at `time`. Must resolve (never reject) with a {@link QueryOutcome}. */
    query(promql: string, time: Date): Promise<QueryOutcome>;
}
