// Runtimes without node:inspector (browsers, workerd): definition sites are unknown, and messages
// that would name one leave it out.
export function locate(_fn: Function): string | undefined {
  return undefined;
}
