// A nursery's live children, oldest first: an intrusive doubly linked list. Adding a child and
// removing a settled one are O(1) wherever it sits, and the newest live child is the tail, which
// is what reverse-order cancellation asks for at every step (bench scenarios 2 and 5). An array
// would make each removal O(n); a Set has no "previous". The links live in the children
// themselves (one object per task, no list nodes), and only this module writes them.

/** Something that can be linked into a ChildList: its links are the list's, written only here. */
export class ListLinks {
  /** The next older live sibling; undefined for the oldest and once the child left the list. */
  prev: this | undefined;
  /** The next newer live sibling; undefined for the newest and once the child left the list. */
  next: this | undefined;
}

export class ChildList<T extends ListLinks> {
  /** The oldest live child. */
  head: T | undefined;
  /** The newest live child. */
  tail: T | undefined;

  get empty(): boolean {
    return this.head === undefined;
  }

  /** Appends `child` as the newest. */
  add(child: T): void {
    const tail = this.tail;
    if (tail === undefined) this.head = child;
    else {
      tail.next = child;
      child.prev = tail;
    }
    this.tail = child;
  }

  /** Unlinks `child`, which must be in this list. */
  remove(child: T): void {
    const { prev, next } = child;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    child.prev = child.next = undefined;
  }

  /** The newest child not in `skip`. */
  newest(skip: ReadonlySet<T> | undefined): T | undefined {
    let child = this.tail;
    while (child !== undefined && skip?.has(child) === true) child = child.prev;
    return child;
  }

  /** Calls `fn` on every child, oldest first; a child added meanwhile is visited too. */
  forEach(fn: (child: T) => void): void {
    for (let child = this.head; child !== undefined; child = child.next) fn(child);
  }
}
