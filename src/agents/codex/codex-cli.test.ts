/** Codex 0.169.0 itself, installed by the tool cache, against a scripted Responses API. */
import { describeRealCli } from '../real-cli-suite.ts';

describeRealCli({
  name: 'codex',
  modelCalls: ['POST /v1/responses', 'POST /v1/responses'],
  authHeader: (token) => ['authorization', `Bearer ${token}`],
});
