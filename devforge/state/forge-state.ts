import { randomBytes } from 'node:crypto';
import type {
  AccessToken,
  AwardEmoji,
  CiVariable,
  Discussion,
  Epic,
  Group,
  Hook,
  HookDelivery,
  Issue,
  Membership,
  MergeRequest,
  Note,
  Project,
  ProtectedBranch,
  User,
} from './types.ts';

type Counter =
  | 'user'
  | 'token'
  | 'namespace'
  | 'project'
  | 'issue'
  | 'mergeRequest'
  | 'mergeRequestVersion'
  | 'epic'
  | 'note'
  | 'award'
  | 'protectedBranch'
  | 'hook'
  | 'hookDelivery';

/**
 * Everything the forge knows, in memory. Ids come from per-kind counters so that ids are small,
 * stable for a given fixture, and never reused after a delete (as on GitLab).
 */
export class ForgeState {
  readonly users = new Map<number, User>();
  readonly tokens = new Map<number, AccessToken>();
  readonly groups = new Map<number, Group>();
  readonly projects = new Map<number, Project>();
  readonly memberships: Membership[] = [];
  readonly issues = new Map<number, Issue>();
  readonly mergeRequests = new Map<number, MergeRequest>();
  readonly epics = new Map<number, Epic>();
  readonly notes = new Map<number, Note>();
  readonly discussions = new Map<string, Discussion>();
  readonly awards = new Map<number, AwardEmoji>();
  readonly variables: CiVariable[] = [];
  readonly protectedBranches = new Map<number, ProtectedBranch>();
  readonly hooks = new Map<number, Hook>();
  readonly deliveries = new Map<number, HookDelivery>();
  adminToken = '';
  private readonly counters = new Map<Counter, number>();
  /** Per project (issues, MRs) and per group (epics). */
  private readonly iidCounters = new Map<string, number>();

  nextId(kind: Counter): number {
    const next = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, next);
    return next;
  }

  nextIid(kind: 'issue' | 'mergeRequest' | 'epic', parentId: number): number {
    const key = `${kind}:${parentId}`;
    const next = (this.iidCounters.get(key) ?? 0) + 1;
    this.iidCounters.set(key, next);
    return next;
  }

  newDiscussionId(): string {
    return randomBytes(20).toString('hex');
  }

  userByUsername(username: string): User | undefined {
    const wanted = username.toLowerCase();
    for (const user of this.users.values()) {
      if (user.username.toLowerCase() === wanted) return user;
    }
    return undefined;
  }

  tokenByValue(value: string): AccessToken | undefined {
    for (const token of this.tokens.values()) {
      if (token.token === value) return token;
    }
    return undefined;
  }

  groupByFullPath(fullPath: string): Group | undefined {
    const wanted = fullPath.toLowerCase();
    for (const group of this.groups.values()) {
      if (group.fullPath.toLowerCase() === wanted) return group;
    }
    return undefined;
  }

  projectByPath(pathWithNamespace: string): Project | undefined {
    const wanted = pathWithNamespace.toLowerCase();
    for (const project of this.projects.values()) {
      if (project.pathWithNamespace.toLowerCase() === wanted) return project;
    }
    return undefined;
  }

  /** The group and its ancestors, nearest first. */
  groupChain(groupId: number): Group[] {
    const chain: Group[] = [];
    let current = this.groups.get(groupId);
    while (current !== undefined) {
      chain.push(current);
      current = current.parentId === null ? undefined : this.groups.get(current.parentId);
    }
    return chain;
  }

  issueByIid(projectId: number, iid: number): Issue | undefined {
    for (const issue of this.issues.values()) {
      if (issue.projectId === projectId && issue.iid === iid) return issue;
    }
    return undefined;
  }

  mergeRequestByIid(projectId: number, iid: number): MergeRequest | undefined {
    for (const mr of this.mergeRequests.values()) {
      if (mr.projectId === projectId && mr.iid === iid) return mr;
    }
    return undefined;
  }

  notesOf(discussion: Discussion): Note[] {
    const notes: Note[] = [];
    for (const id of discussion.noteIds) {
      const note = this.notes.get(id);
      if (note !== undefined) notes.push(note);
    }
    return notes;
  }

  discussionsOf(noteableType: Note['noteableType'], noteableId: number): Discussion[] {
    return [...this.discussions.values()].filter(
      (d) => d.noteableType === noteableType && d.noteableId === noteableId,
    );
  }
}
