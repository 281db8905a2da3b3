/** Opencode 1.18.33 itself, installed by the tool cache, against a scripted Anthropic API. */
import { describeRealCli } from '../real-cli-suite.ts';

describeRealCli({
  name: 'opencode',
  // Two agent turns and no title request: the profile gives the session a title itself.
  modelCalls: ['POST /v1/messages', 'POST /v1/messages'],
  authHeader: (token) => ['authorization', `Bearer ${token}`],
});
