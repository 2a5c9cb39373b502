package org.example;

/** The artifact of the create-id test project. */
public final class App {
    public static void main(String[] args) {
        System.out.println("app");
    }
}
