// `no-task-spread`: reports `{ ...task }` and `Object.assign({}, task)` where `task` is one of
// @nursery/core's contexts. A task context is the task object itself, whose `signal`, `name`,
// `clock`, `state` and `cancel` live on its class's prototype: a spread copies none of them, so the
// copy cannot be cancelled and passing it on silently unlinks whatever receives it. A scope context
// keeps its members as own fields, so a copy is a snapshot whose `state` stays "running" after the
// scope ends. typescript-eslint's `no-misused-spread` flags class instances, promises and maps,
// but these types are interfaces (the classes are internal), so it stays silent.
//
// Recognised by type, not by name: the spread argument's type (or a member of its union or
// intersection, its constraint when generic, or an interface it extends) must be a symbol named
// TaskContext, Task, StartContext or ScopeContext declared in a file of the package @nursery/core
// (the nearest package.json above the declaration says so), so a user's own `Task` type is left
// alone however it is named, and a context in a variable called `ctx` is still found.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Rule } from "eslint";
import type { CallExpression, Node as EstreeNode, SpreadElement } from "estree";
import type ts from "typescript";

/** The core types a spread of which loses cancellation, by the name of their symbol. */
const CONTEXT_TYPES: ReadonlySet<string> = new Set(["TaskContext", "Task", "StartContext", "ScopeContext"]);

const CORE_PACKAGE = "@nursery/core";

/** What the rule reads of typescript-eslint's parser services (the parser's `program` and node map). */
interface ParserServices {
  program: ts.Program | null;
  esTreeNodeToTSNodeMap: { get(node: EstreeNode): ts.Node };
}

/** The `name` of the package.json nearest above each folder asked about, cached per folder. */
const packageNames = new Map<string, string | undefined>();

function packageNameOf(folder: string): string | undefined {
  if (packageNames.has(folder)) return packageNames.get(folder);
  const manifest = join(folder, "package.json");
  let name: string | undefined;
  if (existsSync(manifest)) {
    try {
      const json = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown };
      name = typeof json.name === "string" ? json.name : undefined;
    } catch {
      // An unreadable package.json names no package; the type is then not core's.
      name = undefined;
    }
  } else {
    const parent = dirname(folder);
    name = parent === folder ? undefined : packageNameOf(parent);
  }
  packageNames.set(folder, name);
  return name;
}

function declaredInCore(symbol: ts.Symbol): boolean {
  return (symbol.getDeclarations() ?? []).some(
    (declaration) => packageNameOf(dirname(declaration.getSourceFile().fileName)) === CORE_PACKAGE,
  );
}

/** The name of the core context `type` is or contains, if any. */
function contextName(type: ts.Type, checker: ts.TypeChecker, seen: Set<ts.Type>): string | undefined {
  if (seen.has(type)) return undefined;
  seen.add(type);
  if (type.isUnionOrIntersection()) {
    for (const member of type.types) {
      const name = contextName(member, checker, seen);
      if (name !== undefined) return name;
    }
    return undefined;
  }
  // A boolean, not the type guard: `TypeParameter` adds no member to `Type`, so the guard would
  // narrow `type` to `never` below.
  const isTypeParameter: boolean = type.isTypeParameter();
  if (isTypeParameter) {
    const constraint = checker.getBaseConstraintOfType(type);
    return constraint === undefined ? undefined : contextName(constraint, checker, seen);
  }
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (symbol !== undefined && CONTEXT_TYPES.has(symbol.getName()) && declaredInCore(symbol)) return symbol.getName();
  // `StartContext<number>` is a reference to its generic interface; the bases are on the target.
  const target = (type as { target?: ts.Type }).target ?? type;
  if (target.isClassOrInterface()) {
    for (const base of checker.getBaseTypes(target)) {
      const name = contextName(base, checker, seen);
      if (name !== undefined) return name;
    }
  }
  return undefined;
}

export const noTaskSpread: Rule.RuleModule = {
  meta: {
    type: "problem",
    docs: {
      description: "Disallow copying a @nursery/core task or scope context with a spread or Object.assign",
      recommended: true,
    },
    messages: {
      task:
        "Copying a {{name}} keeps none of its cancellation: `signal`, `name`, `clock`, `state` and `cancel` " +
        "are not own properties, so the copy cannot be cancelled. Pass the {{name}} itself, or name what is " +
        "needed (`{ signal: task.signal }`).",
      scope:
        "Copying a ScopeContext makes a snapshot: its `state` stays \"running\" after the scope ends, so " +
        "operations given the copy are no longer owned by the scope. Pass the scope itself.",
    },
    schema: [],
  },
  create(context) {
    const services = context.sourceCode.parserServices as Partial<ParserServices> | undefined;
    const program = services?.program;
    const nodeMap = services?.esTreeNodeToTSNodeMap;
    if (program === undefined || program === null || nodeMap === undefined) {
      throw new Error(
        "@nursery/no-task-spread needs type information: lint with typescript-eslint's parser and " +
          "`parserOptions.projectService: true` (the @nursery/eslint-config recommended config sets both).",
      );
    }
    const checker = program.getTypeChecker();
    const check = (node: EstreeNode): void => {
      const name = contextName(checker.getTypeAtLocation(nodeMap.get(node)), checker, new Set());
      if (name === undefined) return;
      context.report({ node, messageId: name === "ScopeContext" ? "scope" : "task", data: { name } });
    };
    return {
      "ObjectExpression > SpreadElement"(node: SpreadElement) {
        check(node.argument);
      },
      // Object.assign(target, ...sources): a context among the sources is copied the same way.
      "CallExpression[callee.type='MemberExpression'][callee.object.name='Object'][callee.property.name='assign']"(
        node: CallExpression,
      ) {
        for (const source of node.arguments.slice(1)) {
          if (source.type !== "SpreadElement") check(source);
        }
      },
    };
  },
};
