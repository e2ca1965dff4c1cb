/**
 * `npm run plan … | head` closes stdout early: stop quietly, as Unix tools do,
 * instead of crashing on EPIPE. Imported first by every command's entry file.
 */
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
