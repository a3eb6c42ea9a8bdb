/** State-store keys of the ESIA leg (never inline strings). */
export const esiaKeys = {
  pendingLogin: (esiaState: string) => `esia:pending:${esiaState}`,
};
