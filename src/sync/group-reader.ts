// Stand-in for the provider contract (group-readers branch); removed by the merge.
export interface DirectoryGroup {
  externalId: string;
  name: string;
  description?: string;
}

export interface GroupReader {
  groups(): AsyncIterable<DirectoryGroup[]>;
  members(group: DirectoryGroup): AsyncIterable<string[]>;
}

export interface GroupSource {
  openGroups?(config: unknown, signal: AbortSignal): GroupReader | undefined;
}
