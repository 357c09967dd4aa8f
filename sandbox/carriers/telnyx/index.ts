/**
 * Telnyx in the sandbox, behind the carrier interface (../carrier.ts): its API v2 endpoints under
 * `/v2/` (api.ts), its seed section (schemas.ts, seed.ts), its control routes (control.ts) and its
 * opt-in validation against Telnyx's OpenAPI document (openapi.ts).
 */
import type { z } from "zod";
import { defineCarrier } from "../carrier";
import { TelnyxApi, parseJsonBody, routeTelnyx, telnyxError, telnyxFaultResponse } from "./api";
import { TelnyxControlSurface, type TelnyxControl } from "./control";
import { telnyxValidator, type TelnyxValidator } from "./openapi";
import { telnyxSeedSchema } from "./schemas";
import { dumpTelnyx, normalizeTelnyx } from "./seed";
import type { TelnyxSeedSection, TelnyxState, TelnyxStateSection } from "./state";

export const telnyxSandbox = defineCarrier<
  "telnyx",
  {
    seed: TelnyxSeedSection;
    parsedSeed: z.output<typeof telnyxSeedSchema>;
    state: TelnyxState;
    dump: TelnyxStateSection;
    credentials: { api_key: string };
    control: TelnyxControl;
    validator: TelnyxValidator;
    settingKey: "apiKey" | "baseUrl";
  }
>({
  name: "telnyx",
  paths: "under /v2/",
  owns: (pathname) => pathname === "/v2" || pathname.startsWith("/v2/"),
  baseUrl: (url) => `${url}/v2`,
  seedSchema: telnyxSeedSchema,
  normalize: normalizeTelnyx,
  dump: dumpTelnyx,
  credentials: (state) => ({ api_key: state.api_key }),
  providerSettings: (state, baseUrl) => ({ apiKey: state.api_key, baseUrl }),
  faultResponse: telnyxFaultResponse,
  responseHeaders: (headers, requestNumber) => {
    const out: Record<string, string> = {
      ...headers,
      "x-request-id": `00000000-0000-4000-8000-${requestNumber.toString(16).padStart(12, "0")}`,
    };
    // A fault's own rate-limit headers (a 429) win over these.
    out["x-ratelimit-limit"] ??= "100";
    out["x-ratelimit-remaining"] ??= "99";
    out["x-ratelimit-reset"] ??= String(Math.ceil(Date.now() / 1000) + 1);
    return out;
  },
  validation: {
    help: "check Telnyx requests and responses against Telnyx's OpenAPI document (SANDBOX_TELNYX_OPENAPI)",
    load: telnyxValidator,
  },
  open(context) {
    const api = new TelnyxApi(context.state, context.release);
    const control = new TelnyxControlSurface(context.state);
    return {
      accept({ method, pathname, query, headers, bodyText }) {
        const route = routeTelnyx(method, pathname);
        const contentType = typeof headers["content-type"] === "string" ? headers["content-type"] : undefined;
        // Parsed once, for the handler and the log.
        const json = bodyText.length > 0 ? parseJsonBody(contentType, bodyText) : undefined;
        const bodyRequired = {
          ok: false,
          response: telnyxError(400, "10015", "Bad Request", "A JSON request body is required."),
        } as const;
        return {
          endpoint: route.endpoint,
          body: json?.ok ? json.value : undefined,
          respond() {
            // Validation records violations; the sandbox's own checks answer bad requests.
            const validation = context.validation;
            const op = route.methodNotAllowed ? undefined : validation?.validator.operationOf(route.endpoint);
            if (validation && op) {
              const body = json?.ok ? json.value : undefined;
              validation.record(
                validation.validator.validateRequest(op, { method, path: pathname, query, headers, body }),
              );
            }
            const authorization = headers["authorization"];
            const denied = api.authenticate(typeof authorization === "string" ? authorization : undefined);
            const response = denied ?? api.handle(route, query, () => json ?? bodyRequired);
            if (validation && op) {
              const body = response.status === 204 ? null : response.body;
              validation.record(validation.validator.validateResponse(op, response.status, body));
            }
            return response;
          },
        };
      },
      control: control.methods,
      controlRoute: (request) => control.route(request),
      deleteNumber: (phoneNumber) => control.deleteNumber(phoneNumber),
      reset: () => api.reset(),
    };
  },
});
