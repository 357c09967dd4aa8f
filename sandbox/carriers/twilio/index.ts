/**
 * Twilio in the sandbox, behind the carrier interface (../carrier.ts): the 2010-04-01 API
 * (IncomingPhoneNumbers, Accounts; api.ts) and Messaging v1's Services (messaging.ts) on the
 * sandbox's root URL, its seed section (schemas.ts, seed.ts), its control routes (control.ts) and
 * its opt-in OpenAPI validation (openapi.ts).
 */
import type { z } from "zod";
import {
  defineCarrier,
  type AcceptedRequest,
  type CarrierResponse,
  type IncomingCarrierRequest,
} from "../carrier";
import { TwilioApi, isTwilioPath, parseForm, routeTwilio } from "./api";
import { twilioError, twilioFaultResponse, type TwilioRoute } from "./common";
import { TwilioControlSurface, type TwilioControl } from "./control";
import { twilioValidator, type TwilioValidator } from "./openapi";
import { twilioSeedSchema } from "./schemas";
import { dumpTwilio, normalizeTwilio } from "./seed";
import type { TwilioSeedSection, TwilioState, TwilioStateSection } from "./state";

/** The credentials the sandbox accepts for Twilio now. */
export interface TwilioCredentials {
  account_sid: string;
  auth_token: string;
  subaccounts: Array<{ account_sid: string; auth_token: string; friendly_name: string }>;
}

export const twilioSandbox = defineCarrier<
  "twilio",
  {
    seed: TwilioSeedSection;
    parsedSeed: z.output<typeof twilioSeedSchema>;
    state: TwilioState;
    dump: TwilioStateSection;
    credentials: TwilioCredentials;
    control: TwilioControl;
    validator: TwilioValidator;
    settingKey: "accountSid" | "authToken" | "apiBaseUrl";
  }
>({
  name: "twilio",
  paths: "under /2010-04-01/ and /v1/Services",
  owns: isTwilioPath,
  // The SDK has no base-URL option: `BaseUrlRequestClient` sends its requests to the sandbox's root.
  baseUrl: (url) => url,
  seedSchema: twilioSeedSchema,
  normalize: normalizeTwilio,
  dump: dumpTwilio,
  credentials: (state) => ({
    account_sid: state.account_sid,
    auth_token: state.auth_token,
    subaccounts: [...state.subaccounts.values()].map((a) => ({
      account_sid: a.account_sid,
      auth_token: a.auth_token,
      friendly_name: a.friendly_name,
    })),
  }),
  providerSettings: (state, baseUrl) => ({
    accountSid: state.account_sid,
    authToken: state.auth_token,
    apiBaseUrl: baseUrl,
  }),
  faultResponse: twilioFaultResponse,
  responseHeaders: (headers, requestNumber) => ({
    ...headers,
    "Twilio-Request-Id": "RQ" + requestNumber.toString(16).padStart(32, "0"),
  }),
  validation: {
    help: "check Twilio requests and responses against Twilio's OpenAPI description",
    load: twilioValidator,
  },
  open(context) {
    const api = new TwilioApi(context.state, context.release);
    const control = new TwilioControlSurface(context.state);
    return {
      accept: (request) => accept(api, request, context.validation),
      control: control.methods,
      controlRoute: (request) => control.route(request),
      deleteNumber: (phoneNumber) => control.deleteNumber(phoneNumber),
      reset: () => undefined,
    };
  },
});

/**
 * Routes a request and parses its form body; answering it then checks it against Twilio's OpenAPI
 * description (when on), authenticates, and hands it to the API. A request that violates the
 * description is answered 400 after authentication, as Twilio answers a malformed one.
 */
function accept(
  api: TwilioApi,
  request: IncomingCarrierRequest,
  validation: { validator: TwilioValidator; record(violations: string[]): void } | undefined,
): AcceptedRequest {
  const { method, pathname, query, headers, bodyText } = request;
  const route: TwilioRoute = routeTwilio(method, pathname);
  const form = parseForm(
    typeof headers["content-type"] === "string" ? headers["content-type"] : undefined,
    bodyText,
  );
  const respond = (): CarrierResponse => {
    const validator = validation?.validator;
    const op = route.operationId;
    let requestViolations: string[] = [];
    if (validator && op) {
      requestViolations = validator.validateRequest(op, {
        method,
        path: pathname,
        query,
        headers,
        body: form.ok && method !== "GET" && method !== "DELETE" ? form.form : undefined,
      });
      validation.record(requestViolations);
    }
    const authorization = headers["authorization"];
    const auth = api.authorize(typeof authorization === "string" ? authorization : undefined, route);
    if (!auth.ok) return auth.response;
    if (requestViolations.length > 0) {
      return twilioError(
        400,
        20001,
        `Request does not match Twilio's OpenAPI description: ${requestViolations.join("; ")}`,
      );
    }
    if (!form.ok) return twilioError(400, 20001, form.error);
    const response = api.handle(route, auth.account, pathname, query, form.form);
    if (validator && op && response.status < 300) {
      validation.record(
        validator.validateResponse(op, response.status, response.status === 204 ? null : response.body),
      );
    }
    return response;
  };
  return { endpoint: route.endpoint, body: form.ok ? form.form : undefined, respond };
}
