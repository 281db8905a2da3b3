/** Reported in `User-Agent: GitLab/<version>` on webhooks and by `GET /version`. */
export const forgeVersion = '17.11.1-devforge';
