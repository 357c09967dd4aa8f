/**
 * Where the Telnyx settings are read from: stack config `telnyx:<key>`, else `TELNYX_<KEY>`. Here,
 * not in index.ts, so that the client can name them when Telnyx refuses the key.
 */
import { carrierSettings } from "../carrier";

export const TELNYX_SETTINGS = carrierSettings("telnyx", {
  apiKey: "an API v2 key (secret)",
  baseUrl: "the API's base URL (default https://api.telnyx.com/v2): a proxy or the sandbox",
});
