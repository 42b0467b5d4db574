// Polling for a condition a test cannot await directly (a socket the code under test opened).

/** Resolves once `check` holds, polling every `everyMs` (the test's timeout bounds the wait). */
export async function until(check: () => boolean, everyMs = 5): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
