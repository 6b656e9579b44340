/** Characters a shell would act on, for messages that say why a value was refused. */
export const SHELL_META = /[\s;&|`$<>(){}[\]*?!~#'"\\]/;

/** A value as an error message shows it: JSON, cut after 120 characters, on one line. */
export function shown(value: unknown): string {
  if (typeof value === 'string' && value.length > 120) return `${JSON.stringify(`${value.slice(0, 120)}...`)} (${value.length} characters)`;
  return JSON.stringify(value) ?? String(value);
}
