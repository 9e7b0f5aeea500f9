/** The API docs page: Swagger UI (served from the platform's own node_modules) reading the generated description. */
declare const SwaggerUIBundle: (options: Record<string, unknown>) => unknown;

SwaggerUIBundle({
	url: "/api/openapi.json",
	dom_id: "#swagger-ui",
	deepLinking: true,
	// Tokens typed into "Authorize" stay in this page's memory, never in storage.
	persistAuthorization: false,
	tryItOutEnabled: false,
});
