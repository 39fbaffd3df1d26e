export declare function renderSchema(provider: "sqlite" | "postgresql" | string): string;
export declare function runPrisma(args: string[], url?: string, opts?: { quiet?: boolean }): void;
