import { h, formValues } from "../dom.ts";
import { api } from "../api.ts";
import * as session from "../session.ts";
import type { View } from "../view.ts";

export function signInView(mode: "signin" | "signup"): View {
	const signup = mode === "signup";
	const title = signup ? "Create an account" : "Sign in";
	return {
		title,
		public: true,
		render() {
			const error = h("p", { role: "alert", class: "error", id: "auth-error" });
			const submit = h("button", { type: "submit" }, signup ? "Create account" : "Sign in");
			const form = h(
				"form",
				{ class: "card narrow", "aria-describedby": "auth-error" },
				h("label", { for: "email" }, "Email"),
				h("input", { id: "email", name: "email", type: "email", autocomplete: "email", required: true }),
				signup && h("label", { for: "name" }, "Name (optional)"),
				signup && h("input", { id: "name", name: "name", type: "text", autocomplete: "name", maxlength: 100 }),
				h("label", { for: "password" }, "Password"),
				h("input", {
					id: "password",
					name: "password",
					type: "password",
					autocomplete: signup ? "new-password" : "current-password",
					required: true,
					minlength: signup ? 12 : null,
					"aria-describedby": signup ? "password-hint" : null,
				}),
				signup && h("p", { id: "password-hint", class: "hint" }, "At least 12 characters; easy-to-guess ones (common passwords, keyboard patterns, repeats) are refused."),
				error,
				submit
			);
			form.addEventListener("submit", async event => {
				event.preventDefault();
				const { email, password, name } = formValues(form);
				error.textContent = "";
				submit.disabled = true;
				try {
					const body = signup ? { email, password, ...(name ? { name } : {}) } : { email, password };
					session.signedIn(await api("POST", signup ? "/api/v1/auth/register" : "/api/v1/auth/login", body));
					location.hash = "#/documents";
				} catch (err) {
					error.textContent = (err as Error).message;
				} finally {
					submit.disabled = false;
				}
			});
			const other = signup
				? h("p", {}, "Already have an account? ", h("a", { href: "#/signin" }, "Sign in"))
				: h("p", {}, "New here? ", h("a", { href: "#/signup" }, "Create an account"));
			return h("section", {}, h("h1", { tabindex: -1 }, title), form, other);
		},
	};
}
