/** Loaded by mocha before every spec: platform logs stay quiet unless TEST_LOG_LEVEL asks for them. */
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "error";
