/** Namespace-wide Istio PeerAuthentication, typed and schema-checked with @kubernetes-models/istio. */
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";

/**
 * The PeerAuthentication named `default` in `namespace` (the name Istio gives namespace-wide policies by
 * convention), with no selector so it covers every workload of the namespace.
 */
export function buildPeerAuthentication(namespace: string, mode: "STRICT" | "PERMISSIVE"): PeerAuthentication {
    return new PeerAuthentication({
        metadata: { name: "default", namespace },
        spec: { mtls: { mode } },
    });
}
