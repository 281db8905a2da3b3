/**
 * The flow every measured run executes: its first command prints a marker. The runner echoes the
 * command (`$ echo …`) before running it, so the marker is computed by the shell: only the
 * command's own output contains it.
 */
export const flowMarker = 'BATON_FLOW_42';

export const markerFlow = `image: node:22-slim
commands:
  - echo "BATON_FLOW_$((6*7))"
variables:
  - GITLAB_HOST
`;
