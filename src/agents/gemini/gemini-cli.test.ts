/** Gemini CLI 0.61.0 itself, installed by the tool cache, against a scripted Gemini API. */
import { describeRealCli } from '../real-cli-suite.ts';

describeRealCli({
  name: 'gemini',
  // The model is pinned, so there is no router call.
  modelCalls: [
    'POST /v1beta/models/gemini-2.5-flash:streamGenerateContent',
    'POST /v1beta/models/gemini-2.5-flash:streamGenerateContent',
  ],
  authHeader: (token) => ['x-goog-api-key', token],
});
