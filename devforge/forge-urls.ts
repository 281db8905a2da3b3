/**
 * The one public base URL every link in a response is built from. python-gitlab compares the
 * `web_url` it gets back with the URL it was given, and clients follow `Link` headers verbatim,
 * so nothing may be built from the request's Host header instead.
 */
export class ForgeUrls {
  private baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get base(): string {
    return this.baseUrl;
  }

  setBase(baseUrl: string): void {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  web(path: string): string {
    return `${this.baseUrl}/${path.replace(/^\/+/, '')}`;
  }

  api(path: string): string {
    return `${this.baseUrl}/api/v4/${path.replace(/^\/+/, '')}`;
  }

  avatar(email: string): string {
    return `https://www.gravatar.com/avatar/${encodeURIComponent(email)}?s=80&d=identicon`;
  }
}
