/**
 * A short, readable name for the device a session signed in from ("Firefox on Windows"), from its
 * User-Agent, for the sessions list. Only a hint for the user: clients choose their User-Agent.
 * Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android also "Linux".
 * The patterns are plain substrings (no backtracking), and the stored header is at most 255 characters.
 */
const BROWSERS: Array<[RegExp, string]> = [
	[/Edg(?:e|A|iOS)?\//, "Edge"],
	[/OPR\/|Opera/, "Opera"],
	[/Firefox\/|FxiOS\//, "Firefox"],
	[/Chrome\/|CriOS\//, "Chrome"],
	[/Safari\//, "Safari"],
	[/^curl\//, "curl"],
	[/^python-requests\/|^python-httpx\/|^aiohttp\//, "Python"],
	[/^node|^undici/, "Node.js"],
];

const SYSTEMS: Array<[RegExp, string]> = [
	[/iPhone|iPad|iPod/, "iOS"],
	[/Android/, "Android"],
	[/Windows/, "Windows"],
	[/Mac OS X|Macintosh/, "macOS"],
	[/CrOS/, "ChromeOS"],
	[/Linux/, "Linux"],
];

export function deviceName(userAgent: string | null): string {
	if (!userAgent) return "Unknown device";
	const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
	const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
	if (browser && system) return `${browser} on ${system}`;
	return browser ?? system ?? "Unknown device";
}
