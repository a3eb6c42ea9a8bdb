/** State-store keys of the ESIA leg (never inline strings, STYLE.md §6). */
export const esiaKeys = {
  pendingLogin: (esiaState: string) => `esia:pending:${esiaState}`,
};
