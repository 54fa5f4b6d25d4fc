/**
 * E2e files boot real apps (and processes) in their hooks: on a loaded 2-core CI machine a boot
 * can take several times Jest's 5 s default. (`testTimeout` is a global option: inside a
 * project's config Jest ignores it, hence this setup file.) Tests still wait on state, not on
 * this limit; it only bounds how long a hang takes to fail.
 */
jest.setTimeout(30_000);
