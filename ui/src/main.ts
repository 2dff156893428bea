import { mount } from "svelte";
import "./lib/theme.css";
import { bootData } from "./lib/boot";
import { setTheme } from "./lib/theme";
import App from "./App.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("the #app element is missing from index.html");

setTheme(bootData()?.theme ?? "system");

export default mount(App, { target });
