/** @module Users as another user sees them: the profile fields only, and, in a list shown together, which names look alike. */
import type { User } from "../protocol/index.js";
import { nameSkeleton } from "./name-skeleton.js";

/**
 * The fields a profile shows, copied one by one: a user object that reaches someone else never
 * carries the role or anything else the store keeps (a spread of a stored record would).
 */
export function profileOf(user: User): User {
  const profile: User = {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    createdAt: user.createdAt,
  };
  if (user.nameCollides) profile.nameCollides = true;
  if (user.statusText) profile.statusText = user.statusText;
  if (user.avatarUrl) profile.avatarUrl = user.avatarUrl;
  if (user.deleted) profile.deleted = true;
  return profile;
}

/** Which users own each skeleton. */
function owners(keys: Iterable<[string, string]>): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const [skeleton, userId] of keys) {
    const set = map.get(skeleton) ?? new Set<string>();
    set.add(userId);
    map.set(skeleton, set);
  }
  return map;
}

const someoneElse = (set: Set<string> | undefined, userId: string) => [...(set ?? [])].some((id) => id !== userId);

/**
 * Profiles of people a viewer sees side by side (their contacts, a conversation's members),
 * with `nameCollides: true` on each whose display name has the same confusable skeleton as
 * another one's display name or username (`nameSkeleton`): "Kim Minsu" beside "Kіm Minsu" with a
 * Cyrillic і, or a display name "minsu" beside the user @minsu. The client then shows their
 * usernames, which are unique and plain ASCII. Usernames are not compared with each other:
 * showing them would not tell them apart.
 */
export function profilesShownTogether(users: readonly User[]): User[] {
  const skeletons = users.map((u) => ({ user: u, name: nameSkeleton(u.displayName), login: nameSkeleton(u.username) }));
  const byName = owners(skeletons.map((s) => [s.name, s.user.id]));
  const byLogin = owners(skeletons.map((s) => [s.login, s.user.id]));
  return skeletons.map(({ user, name, login }) => {
    const profile = profileOf(user);
    delete profile.nameCollides;
    const collides =
      someoneElse(byName.get(name), user.id) ||
      someoneElse(byLogin.get(name), user.id) ||
      someoneElse(byName.get(login), user.id);
    if (collides) profile.nameCollides = true;
    return profile;
  });
}
