/**
 * SignalWire in the sandbox, behind the carrier interface (../carrier.ts): its REST API for phone
 * numbers under `/api/relay/rest/phone_numbers` (api.ts), its seed section (state.ts), its control
 * routes (control.ts) and its opt-in validation against SignalWire's OpenAPI document (openapi.ts).
 */
import type { z } from "zod";
import { defineCarrier, type CarrierResponse } from "../carrier";
import { SignalWireApi, ownsSignalWirePath, routeSignalWire, signalwireFaultResponse } from "./api";
import { SignalWireControlSurface, type SignalWireControl } from "./control";
import { signalwireValidator, type SignalWireValidator } from "./openapi";
import {
  dumpSignalWire,
  normalizeSignalWire,
  signalwireSeedSchema,
  type SignalWireSeedSection,
  type SignalWireState,
  type SignalWireStateSection,
} from "./state";

export const signalwireSandbox = defineCarrier<
  "signalwire",
  {
    seed: SignalWireSeedSection;
    parsedSeed: z.output<typeof signalwireSeedSchema>;
    state: SignalWireState;
    dump: SignalWireStateSection;
    credentials: { project_id: string; api_token: string };
    control: SignalWireControl;
    validator: SignalWireValidator;
    settingKey: "projectId" | "apiToken" | "spaceUrl";
  }
>({
  name: "signalwire",
  paths: "under /api/relay/rest/phone_numbers",
  owns: ownsSignalWirePath,
  // The Space's root: the client adds /api/relay/rest/... itself.
  baseUrl: (url) => url,
  seedSchema: signalwireSeedSchema,
  normalize: normalizeSignalWire,
  dump: dumpSignalWire,
  credentials: (state) => ({ project_id: state.project_id, api_token: state.api_token }),
  providerSettings: (state, baseUrl) => ({
    projectId: state.project_id,
    apiToken: state.api_token,
    spaceUrl: baseUrl,
  }),
  faultResponse: signalwireFaultResponse,
  responseHeaders: (headers, requestNumber) => ({
    ...headers,
    "x-request-id": `00000000-0000-4000-9000-${requestNumber.toString(16).padStart(12, "0")}`,
  }),
  validation: {
    help: "check SignalWire requests and responses against SignalWire's phone-numbers OpenAPI document (../shared/reference/)",
    load: signalwireValidator,
  },
  open(context) {
    const api = new SignalWireApi(context.state, context.release);
    const control = new SignalWireControlSurface(context.state);
    return {
      accept({ method, pathname, query, headers, bodyText }) {
        const route = routeSignalWire(method, pathname);
        let json: { ok: true; value: unknown } | { ok: false } = { ok: false };
        try {
          json = { ok: true, value: JSON.parse(bodyText) as unknown };
        } catch {
          // Not JSON: a PUT answers 400, the log keeps the text.
        }
        return {
          endpoint: route.endpoint,
          body: json.ok ? json.value : undefined,
          respond(): CarrierResponse {
            const validator = context.validation?.validator;
            const op = route.operationId;
            if (validator && op)
              context.validation!.record(
                validator.validateRequest(op, {
                  method,
                  path: pathname,
                  query,
                  headers,
                  body: op === "update_phone_number" && json.ok ? json.value : undefined,
                }),
              );
            const authorization = headers["authorization"];
            const denied = api.authenticate(typeof authorization === "string" ? authorization : undefined);
            const host = typeof headers["host"] === "string" ? headers["host"] : undefined;
            const response = denied ?? api.handle(route, query, host, () => json);
            if (validator && op && response.status !== 204 && response.status !== 405)
              context.validation!.record(validator.validateResponse(op, response.status, response.body));
            return response;
          },
        };
      },
      control: control.methods,
      controlRoute: (request) => control.route(request),
      deleteNumber: (phoneNumber) => control.deleteNumber(phoneNumber),
      reset: () => undefined,
    };
  },
});
