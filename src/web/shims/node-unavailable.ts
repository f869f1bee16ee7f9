// What the page's bundle gets for node:fs/promises, node:path and node:crypto: the shared modules it imports
// name them only for key files and key generation, which the audit never calls.
function unavailable(name: string) {
  return (): never => {
    throw new Error(`${name} is not available in the browser`);
  };
}

export const randomBytes = unavailable('randomBytes');
export const mkdir = unavailable('mkdir');
export const readFile = unavailable('readFile');
export const writeFile = unavailable('writeFile');
export const dirname = unavailable('dirname');
