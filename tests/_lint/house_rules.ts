/**
 * The house's own lint rules, loaded by `deno lint` (deno.json `lint.plugins`):
 *
 * - `house/max-function-lines`: a function in lib/ or tasks/ spans at most {@linkcode MAX_FUNCTION_LINES} lines
 *   (issue 12: split long bodies along their seams). A numeric kernel may opt out with
 *   `// deno-lint-ignore house/max-function-lines -- <why>`, listed in docs/architecture.md.
 *
 * @module
 */

/** Longest function, in lines from its signature to its closing brace, allowed in lib/ and tasks/. */
export const MAX_FUNCTION_LINES = 120;

const CHECKED = /[\\/](lib|tasks)[\\/]/;

const plugin: Deno.lint.Plugin = {
  name: "house",
  rules: {
    "max-function-lines": {
      create(context) {
        if (!CHECKED.test(context.filename)) return {};
        const check = (node: Deno.lint.Node) => {
          const [start, end] = node.range;
          const lines = context.sourceCode.text.slice(start, end).split("\n").length;
          if (lines > MAX_FUNCTION_LINES) {
            context.report({
              node,
              message: `This function spans ${lines} lines, over the house limit of ${MAX_FUNCTION_LINES}`,
              hint: "Split it along its own seams into small named units (docs/architecture.md).",
            });
          }
        };
        return { FunctionDeclaration: check, FunctionExpression: check, ArrowFunctionExpression: check };
      },
    },
  },
};

export default plugin;
