export * from "./validation";
export * from "./security";
