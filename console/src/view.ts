/** One page of the console. */
export interface View {
	title: string;
	/** Pages anyone may open (sign in, sign up). */
	public?: boolean;
	/** Builds the page; `signal` aborts when the user leaves it (stops polls and event streams). */
	render(signal: AbortSignal): Promise<Node> | Node;
}
