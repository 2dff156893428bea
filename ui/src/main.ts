import { mount } from "svelte";
import "./lib/theme.css";
import App from "./App.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("the #app element is missing from index.html");

export default mount(App, { target });
