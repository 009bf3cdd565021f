/** Colour only for people: plain text when stdout is not a terminal or NO_COLOR is set (https://no-color.org). */
const enabled = () => process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== "dumb";
const wrap = (open: number, close: number) => (s: string) => (enabled() ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export const style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
};
