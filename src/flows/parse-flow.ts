import { LineCounter, parseDocument, type Document } from 'yaml';
import { describeFlowIssues, jsonPointer, type FlowForm } from './describe-flow-issue.ts';
import type { FlowDefinition } from './flow-definition.ts';
import { flowLimits, gitLabFlowSchema, nativeFlowSchema } from './flow-schema.ts';
import { locateYamlNode } from './locate-yaml-node.ts';

/** One problem in a flow file. `path` is a JSON pointer (`/commands/2`), empty for the root. */
export interface FlowError {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ParseFlowResult =
  | { ok: true; flow: FlowDefinition; source?: string }
  | { ok: false; errors: FlowError[]; source?: string };

export interface ParseFlowOptions {
  /** Where the text came from (a file path or catalog item); echoed back for error reports. */
  source?: string;
}

const notAFlow = 'invalid or missing flow definition';

function withSource(result: ParseFlowResult, source: string | undefined): ParseFlowResult {
  return source === undefined ? result : { ...result, source };
}

function failure(errors: FlowError[]): { ok: false; errors: FlowError[] } {
  const sorted = [...errors].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  return { ok: false, errors: sorted };
}

function syntaxErrors(doc: Document, lineCounter: LineCounter): FlowError[] {
  // Only the first syntax error: the ones after it are usually the parser losing its footing.
  const errors: FlowError[] = doc.errors.slice(0, 1).map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const firstLine = error.message.split('\n')[0] ?? error.message;
    return { path: '', message: `YAML syntax error: ${firstLine}`, line, column: col };
  });
  // The yaml package resolves an unknown tag (`!ruby/object`, `!!python/...`) to a plain string
  // with a warning; Ruby's safe_load refuses it, and so do we rather than guess.
  for (const warning of doc.warnings) {
    const { line, col } = lineCounter.linePos(warning.pos[0]);
    const firstLine = warning.message.split('\n')[0] ?? warning.message;
    errors.push({
      path: '',
      message: `YAML tags are not allowed in a flow file: ${firstLine}`,
      line,
      column: col,
    });
  }
  return errors;
}

function describeRootType(value: unknown): string {
  if (value === null || value === undefined) return 'the file is empty';
  if (Array.isArray(value)) return 'the file holds a list';
  return `the file holds a single ${typeof value}`;
}

/**
 * Parses a flow file: GitLab's format (`image` + `commands`, any generation) or Baton's native
 * form (`agent: claude` and options). Never throws; every error carries a JSON pointer and,
 * where the source has one, the line and column of the key or value at fault.
 */
export function parseFlow(text: string, options: ParseFlowOptions = {}): ParseFlowResult {
  const { source } = options;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > flowLimits.maxFlowBytes) {
    return withSource(
      failure([
        {
          path: '',
          message: `flow definition is ${size} bytes; the limit is ${flowLimits.maxFlowBytes} bytes`,
        },
      ]),
      source,
    );
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlErrors = syntaxErrors(doc, lineCounter);
  if (yamlErrors.length > 0) return withSource(failure(yamlErrors), source);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return withSource(
      failure([{ path: '', message: `${notAFlow}: ${reason}`, line: 1, column: 1 }]),
      source,
    );
  }

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const message = `${notAFlow}: ${describeRootType(raw)}; a flow is a YAML mapping with keys such as \`image\` and \`commands\`, or \`agent\``;
    return withSource(failure([{ path: '', message, line: 1, column: 1 }]), source);
  }

  const form: FlowForm = 'agent' in raw ? 'native' : 'gitlab';
  const parsed =
    form === 'native' ? nativeFlowSchema.safeParse(raw) : gitLabFlowSchema.safeParse(raw);
  if (!parsed.success) {
    const errors = describeFlowIssues(parsed.error.issues, raw, form).map((issue) => {
      const position = locateYamlNode(doc, lineCounter, issue.path, issue.end);
      return { path: jsonPointer(issue.path), message: issue.message, ...position };
    });
    return withSource(failure(errors), source);
  }
  return withSource({ ok: true, flow: toDefinition(parsed.data) }, source);
}

type ParsedGitLab = ReturnType<typeof gitLabFlowSchema.parse>;
type ParsedNative = ReturnType<typeof nativeFlowSchema.parse>;

function toDefinition(data: ParsedGitLab | ParsedNative): FlowDefinition {
  if ('agent' in data) {
    return {
      format: 'native',
      agent: data.agent,
      variables: data.variables,
      ...(data.model === undefined ? {} : { model: data.model }),
      ...(data.max_turns === undefined ? {} : { maxTurns: data.max_turns }),
      ...(data.allowed_tools === undefined ? {} : { allowedTools: data.allowed_tools }),
      ...(data.instructions === undefined ? {} : { instructions: data.instructions }),
      ...(data.timeout === undefined ? {} : { timeoutSeconds: data.timeout }),
      ...(data.image === undefined ? {} : { image: data.image }),
      ...(data.commands === undefined ? {} : { commands: data.commands }),
    };
  }
  return {
    format: 'gitlab',
    image: data.image,
    commands: data.commands,
    variables: data.variables,
    injectGatewayToken: data.injectGatewayToken,
    idTokens: data.id_tokens,
    ...(data.report_artifacts === undefined ? {} : { reportArtifacts: data.report_artifacts }),
  };
}
