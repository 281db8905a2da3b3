/** Claude Code 2.1.331 itself, installed by the tool cache, against a scripted Anthropic API. */
import { describeRealCli } from '../real-cli-suite.ts';

describeRealCli({
  name: 'claude',
  // Only /v1/messages: no /api/hello probe, no count_tokens, no side requests.
  modelCalls: ['POST /v1/messages', 'POST /v1/messages'],
  authHeader: (token) => ['authorization', `Bearer ${token}`],
});
